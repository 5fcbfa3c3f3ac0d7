import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./restore-security-groups.js";

export const handler = createLambdaHandler(task);
