import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./start-instance.js";

export const handler = createLambdaHandler(task);
