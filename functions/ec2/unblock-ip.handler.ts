import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./unblock-ip.js";

export const handler = createLambdaHandler(task);
