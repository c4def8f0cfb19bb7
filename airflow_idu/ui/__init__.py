"""The "Identity report" tab: an Airflow UI plugin that renders what a unification run stored.

Room rule: the UI reads only what a run stored (XCom, task instances) from Airflow's metadata
database inside the API server. It never imports the engines or opens a warehouse connection.
"""
