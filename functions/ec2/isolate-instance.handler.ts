import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./isolate-instance.js";

export const handler = createLambdaHandler(task);
