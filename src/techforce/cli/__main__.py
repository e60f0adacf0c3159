from techforce.cli.main import app

app()
