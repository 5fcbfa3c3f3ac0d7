import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./record-failure.js";

export const handler = createLambdaHandler(task);
