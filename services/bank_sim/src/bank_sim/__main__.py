from siji_shared.http import serve

from bank_sim.main import create_app

serve(create_app)
