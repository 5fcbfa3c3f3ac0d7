import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./enable-console-login.js";

export const handler = createLambdaHandler(task);
