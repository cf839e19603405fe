-- The Prefect server keeps its own database next to insats's.
CREATE DATABASE prefect;
