"""Label Studio label configs that tests in several folders serve to the ML backend."""

from __future__ import annotations

#: another project's config: one text, one single choice (Positive / Negative)
SENTIMENT = """<View>
  <Text name="review" value="$text"/>
  <Choices name="sentiment" toName="review" choice="single">
    <Choice value="Positive"/><Choice value="Negative"/>
  </Choices>
</View>"""
