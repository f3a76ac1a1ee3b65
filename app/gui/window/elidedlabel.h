// A one-line label that elides its text in the middle when narrower than it, with the whole text
// in its tooltip. Its minimum width does not follow the text: a long path shown in a dock does
// not widen the dock (a plain QLabel asks for the width of its whole text).
#pragma once

#include <QFrame>

namespace kms::gui {

class ElidedLabel : public QFrame
{
    Q_OBJECT
public:
    explicit ElidedLabel(const QString &text = {}, QWidget *parent = nullptr);

    void setText(const QString &text);
    QString text() const { return m_text; }
    // What is painted at the current width.
    QString shownText() const;
    bool isElided() const { return shownText() != m_text; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_text;
};

} // namespace kms::gui
