"""Campaign reports: figures by area, the chat reports, Excel and CSV files."""
