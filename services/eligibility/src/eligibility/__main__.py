from siji_shared.http import serve

from eligibility.main import create_app

serve(create_app)
