import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./revoke-user-sessions.js";

export const handler = createLambdaHandler(task);
