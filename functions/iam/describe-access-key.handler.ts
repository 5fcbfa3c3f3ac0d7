import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./describe-access-key.js";

export const handler = createLambdaHandler(task);
