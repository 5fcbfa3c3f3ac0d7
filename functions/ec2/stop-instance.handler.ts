import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./stop-instance.js";

export const handler = createLambdaHandler(task);
