import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./tag-instance.js";

export const handler = createLambdaHandler(task);
