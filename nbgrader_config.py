"""nbgrader's view of the course: source/ -> release/ -> submitted/ -> autograded/ -> feedback/."""

c = get_config()  # noqa: F821  (nbgrader injects get_config)

c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# One notebook per homework, named after the homework's folder.
c.CourseDirectory.notebook_id = "*"
# `hw release` runs generate_assignment with --no-db (releases are files, compared byte for
# byte in CI); only nbgrader's own autograde (the benchmark) uses this git-ignored gradebook.
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# `nbgrader validate` (students) and `nbgrader autograde` (the benchmark): one cell may run for
# 5 minutes, not nbgrader's 30 s, so that a correct but slow solution on a slow laptop still
# validates. Training demos skip themselves under validate (hw_utils.train.validating), so a
# student without this file (nbgrader's default) validates too: tests/test_student_setup.py.
c.Execute.timeout = 300
