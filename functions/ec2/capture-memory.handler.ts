import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./capture-memory.js";

export const handler = createLambdaHandler(task);
