"""Summer cooling (夏送清凉): stock, allocation of kits to sites, shipments, hand-outs, the item accounts."""
