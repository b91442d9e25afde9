from console.main import create_app
from siji_shared.http import serve

serve(create_app)
