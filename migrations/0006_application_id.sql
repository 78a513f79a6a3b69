-- Marks the file as this package's in SQLite's header field for the application that wrote a
-- database ("FFbw", 0x46466277). Opening refuses a database of another application (another
-- application_id, or tables of its own) instead of migrating into it, and leaves it untouched.

PRAGMA application_id = 1179017847;
