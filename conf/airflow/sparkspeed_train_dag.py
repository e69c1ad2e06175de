"""Airflow DAG that trains a SparkSpeed model nightly with spark-submit.

Set the Airflow variables sparkspeed_jar (the assembly jar), sparkspeed_data (table or path)
and sparkspeed_output (checkpoint URI, e.g. s3a://bucket/runs/gpt2). A rerun of the task
resumes from the latest committed checkpoint at the output location.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="sparkspeed_train",
    start_date=datetime(2026, 1, 1),
    schedule="@daily",
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=10)},
    tags=["sparkspeed"],
) as dag:
    BashOperator(
        task_id="train",
        bash_command=(
            "spark-submit --class dev.sparkspeed.trainer.Main "
            "--properties-file conf/spark-defaults-gpu.conf "
            "{{ var.value.sparkspeed_jar }} train "
            "--deepspeed conf/ds_zero2.json --model gpt2-124m "
            "--data {{ var.value.sparkspeed_data }} --text-column text "
            "--world-size 4 --max-steps 1000 "
            "--output {{ var.value.sparkspeed_output }}"
        ),
    )
