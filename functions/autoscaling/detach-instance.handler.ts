import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./detach-instance.js";

export const handler = createLambdaHandler(task);
