"""Local launchers for the infrastructure Siji runs on: Apache Kafka (KRaft) and PostgreSQL."""
