import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./describe-instance.js";

export const handler = createLambdaHandler(task);
