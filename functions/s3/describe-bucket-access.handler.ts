import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./describe-bucket-access.js";

export const handler = createLambdaHandler(task);
