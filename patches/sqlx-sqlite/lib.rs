compile_error!(
    "sqlx's SQLite driver is not available in ff-backend-wasm (patches/sqlx-sqlite stands in \
     for it so that rusqlite's libsqlite3-sys can share the dependency graph); use rusqlite"
);
