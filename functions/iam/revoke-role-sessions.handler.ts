import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./revoke-role-sessions.js";

export const handler = createLambdaHandler(task);
