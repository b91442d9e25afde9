"""The runtime every Siji service shares (a library, never run): settings, logging, database,
outbox, inbox, consumers with dead letters, personal-data protection and caseworker auth."""
