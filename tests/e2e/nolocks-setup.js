// Imported before the package's worker by nolocks-worker.js: no navigator.locks here.
Object.defineProperty(WorkerNavigator.prototype, "locks", { get: () => undefined, configurable: true });
