import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./find-users-without-mfa.js";

export const handler = createLambdaHandler(task);
