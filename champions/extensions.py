"""Extensions created without an app; `create_app` binds them."""

from typing import TYPE_CHECKING

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from champions.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()

# The base of every model. Flask-SQLAlchemy builds db.Model when db is made, from Base (its registry, naming
# convention and column types) and mixins of its own; a type checker cannot take a base class from an attribute
# of an object, so it sees Base, which types every mapped column and the keyword constructor the same way.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
