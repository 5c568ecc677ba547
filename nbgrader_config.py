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
# Releases are committed and compared byte for byte: never let nbgrader reach for a database.
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
