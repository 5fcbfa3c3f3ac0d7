import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./disable-console-login.js";

export const handler = createLambdaHandler(task);
