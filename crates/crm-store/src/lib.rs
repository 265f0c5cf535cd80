//! CRM storage: store trait, SQLite and PostgreSQL implementations with migrations
