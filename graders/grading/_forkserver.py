"""What the batch's forkserver loads before it forks local workers (``graders.grading.batch._worker_context``).

Every worker is forked from that one process, so what is imported and built here
is paid once per batch, not once per worker: nbgrader and its converters (1.7 s of
CPU), the grading plug-ins and checks, the kernel spec, nbformat's schema
validator and SQLAlchemy's mappers of the gradebook.  Nothing here starts a
thread or a process (the forkserver forks).
"""
import nbformat
import nbgrader.api
import nbgrader.converters  # noqa: F401
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from sqlalchemy.orm import configure_mappers

from graders import assignments
from graders.checking import checks  # noqa: F401
from graders.grading import plugins, worker  # noqa: F401

for _name in assignments.NAMES:
    assignments.get(_name)
for _relaxed in (False, True):  # nbformat.read validates strictly, nbconvert's exporter relaxed
    nbformat.validator.get_validator(version=4, version_minor=nbformat.current_nbformat_minor,
                                     relax_add_props=_relaxed)
configure_mappers()
try:
    KernelSpecManager().get_kernel_spec("python3")
except NoSuchKernel:
    pass
