"""Redis (Tair / R-KVStore) backup report: tags -> backups of the last day -> verdicts -> one digest."""
