"""The writer lease: one writer per target schema, a row next to the data. No Airflow here.

:mod:`airflow_idu.lease.model` holds the settings, the row and its SQL; the tasks that take,
check and give it back are :mod:`airflow_idu.operators.lease` and :mod:`airflow_idu.sensors.lease`.
"""
