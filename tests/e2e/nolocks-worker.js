// The package's worker as a browser without Web Locks runs it (some webviews): the setup
// module, imported first, takes navigator.locks away before the worker's code loads.
import "./nolocks-setup.js";
import "../../js/worker.js";
