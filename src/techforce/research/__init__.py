"""Research studies: interviews and surveys, transcripts, codebooks, coding, agreement,
analysis and exchange with QDA tools (issue 11; built in steps)."""
