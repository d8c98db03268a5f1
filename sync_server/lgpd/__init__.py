"""LGPD rights: personal data export and deletion by anonymisation."""
