import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./make-bucket-private.js";

export const handler = createLambdaHandler(task);
