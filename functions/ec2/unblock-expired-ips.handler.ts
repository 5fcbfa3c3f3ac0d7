import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./unblock-expired-ips.js";

export const handler = createLambdaHandler(task);
