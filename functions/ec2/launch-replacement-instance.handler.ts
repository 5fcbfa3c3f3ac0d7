import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./launch-replacement-instance.js";

export const handler = createLambdaHandler(task);
