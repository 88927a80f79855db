"""Background import jobs on Django's tasks framework (django-tasks-db backend; the
worker is `manage.py db_worker`, started by `make run` and in docker-compose)."""

from django.tasks import task

from .models import ImportJob


@task()
def run_import_job(job_id: int) -> None:
    # Any job whose worker died meanwhile is noticed here too (and on its page).
    ImportJob.objects.recover_stale()
    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).first()
    if job is not None:
        job.run()
