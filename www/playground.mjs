// `npm run playground`: serves the playground on PORT (default 8080) and prints its URL.
// Ctrl-C stops it.
import { serve } from "./server.mjs";

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? "127.0.0.1";
try {
  const { url } = await serve({ port, host });
  console.log(`\nThe playground is at ${url}\n(open it in Chromium, Firefox or Safari; Ctrl-C stops the server)`);
} catch (error) {
  if (error.code === "EADDRINUSE") {
    console.error(`port ${port} is in use: run with PORT=<another port> npm run playground`);
    process.exit(1);
  }
  throw error;
}
