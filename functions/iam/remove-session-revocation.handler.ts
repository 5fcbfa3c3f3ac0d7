import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./remove-session-revocation.js";

export const handler = createLambdaHandler(task);
