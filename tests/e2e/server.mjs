// The browser tests serve the repository with the playground's own server.
export { serve } from "../../www/server.mjs";
