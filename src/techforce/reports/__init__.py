"""Report builders (HTML now; PDF with WeasyPrint later) and shared chart specs."""
