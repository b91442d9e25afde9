from siji_shared.http import serve

from disbursement.main import create_app

serve(create_app)
