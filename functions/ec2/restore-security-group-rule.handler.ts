import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./restore-security-group-rule.js";

export const handler = createLambdaHandler(task);
