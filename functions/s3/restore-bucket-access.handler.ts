import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./restore-bucket-access.js";

export const handler = createLambdaHandler(task);
