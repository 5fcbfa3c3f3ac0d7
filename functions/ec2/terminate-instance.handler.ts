import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./terminate-instance.js";

export const handler = createLambdaHandler(task);
